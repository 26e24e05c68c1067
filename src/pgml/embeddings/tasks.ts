/**
 * The Hugging Face pipeline tasks pgml.transform runs, their names and aliases as PostgresML
 * accepts them, the model each uses when none is given (the pipelines' defaults), and the task
 * a model is for when only `{"model": ...}` is given (read from its config, as pipelines do).
 */
import { PgError, SqlState } from '../../errors/index.js';

export const TASKS = [
  'text-classification',
  'token-classification',
  'question-answering',
  'zero-shot-classification',
  'fill-mask',
  'summarization',
  'translation',
  'text2text-generation',
  'text-generation',
  'feature-extraction',
] as const;
export type Task = (typeof TASKS)[number];

/** The Hugging Face pipelines' default models (transformers' SUPPORTED_TASKS). */
export const DEFAULT_MODELS: Record<Task, string> = {
  'text-classification': 'distilbert/distilbert-base-uncased-finetuned-sst-2-english',
  'token-classification': 'dbmdz/bert-large-cased-finetuned-conll03-english',
  'question-answering': 'distilbert/distilbert-base-cased-distilled-squad',
  'zero-shot-classification': 'facebook/bart-large-mnli',
  'fill-mask': 'distilbert/distilroberta-base',
  summarization: 'sshleifer/distilbart-cnn-12-6',
  translation: 'google-t5/t5-base',
  'text2text-generation': 'google-t5/t5-base',
  'text-generation': 'openai-community/gpt2',
  'feature-extraction': 'distilbert/distilbert-base-cased',
};

const ALIASES: Record<string, Task> = { 'sentiment-analysis': 'text-classification', ner: 'token-classification' };

/** A task as requested: `translation_en_to_fr` is the translation task with T5's prompt for that pair. */
export interface TaskSpec {
  task: Task;
  /** The requested name when it carries more than the task (translation_xx_to_yy). */
  variant?: string | undefined;
}

export function parseTask(name: string): TaskSpec {
  if (/^translation_[a-z]{2,3}_to_[a-z]{2,3}$/.test(name)) return { task: 'translation', variant: name };
  const task = ALIASES[name] ?? (TASKS as readonly string[]).find((t) => t === name);
  if (!task) {
    throw new PgError(SqlState.FeatureNotSupported, `pgml.transform: task ${JSON.stringify(name)} is not supported`, {
      hint: `Supported tasks: ${TASKS.join(', ')}, translation_xx_to_yy, and the aliases ${Object.keys(ALIASES).join(', ')}.`,
    });
  }
  return { task: task as Task };
}

/** The task a model's config.json says it is for, from its architecture's head, as pipelines infer it. */
export function taskFromConfig(config: { architectures?: unknown; is_encoder_decoder?: unknown }, model: string): Task {
  const architecture = Array.isArray(config.architectures) ? String(config.architectures[0] ?? '') : '';
  const heads: [RegExp, Task][] = [
    [/ForSequenceClassification$/, 'text-classification'],
    [/ForTokenClassification$/, 'token-classification'],
    [/ForQuestionAnswering$/, 'question-answering'],
    [/ForMaskedLM$/, 'fill-mask'],
    [/(ForCausalLM|LMHeadModel)$/, 'text-generation'],
    [/(ForConditionalGeneration|MTModel)$/, 'text2text-generation'],
    [/Model$/, 'feature-extraction'],
  ];
  const found = heads.find(([pattern]) => pattern.test(architecture));
  if (!found) {
    throw new PgError(SqlState.InvalidParameterValue, `pgml.transform: cannot tell the task of model "${model}" from its config (architectures: ${architecture || 'none'})`, {
      hint: 'Give the task too: {"task": "...", "model": "..."}.',
    });
  }
  return found[1];
}
