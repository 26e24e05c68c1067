import type { FunctionCatalog, FunctionSignature } from '../../../src/sql/catalog.js';

// A small slice of the real pgml/cron surface, enough to exercise overloads, defaults and FROM items.
const signatures: FunctionSignature[] = [
  { schema: 'pgml', name: 'version', params: [], returns: { kind: 'scalar', type: 'text' } },
  {
    schema: 'pgml',
    name: 'predict',
    params: [
      { name: 'project_name', type: 'text', hasDefault: false },
      { name: 'features', type: 'real[]', hasDefault: false },
    ],
    returns: { kind: 'scalar', type: 'real' },
  },
  {
    schema: 'pgml',
    name: 'predict',
    params: [
      { name: 'project_name', type: 'text', hasDefault: false },
      { name: 'features', type: 'integer[]', hasDefault: false },
    ],
    returns: { kind: 'scalar', type: 'real' },
  },
  {
    schema: 'pgml',
    name: 'predict',
    params: [
      { name: 'model_id', type: 'bigint', hasDefault: false },
      { name: 'features', type: 'real[]', hasDefault: false },
    ],
    returns: { kind: 'scalar', type: 'real' },
  },
  {
    schema: 'pgml',
    name: 'embed',
    params: [
      { name: 'transformer', type: 'text', hasDefault: false },
      { name: 'text', type: 'text', hasDefault: false },
      { name: 'kwargs', type: 'jsonb', hasDefault: true },
    ],
    returns: { kind: 'scalar', type: 'real[]' },
  },
  {
    schema: 'pgml',
    name: 'train',
    params: [
      { name: 'project_name', type: 'text', hasDefault: false },
      { name: 'task', type: 'text', hasDefault: true },
      { name: 'relation_name', type: 'text', hasDefault: true },
      { name: 'y_column_name', type: 'text', hasDefault: true },
      { name: 'algorithm', type: 'text', hasDefault: true },
      { name: 'hyperparams', type: 'jsonb', hasDefault: true },
    ],
    returns: {
      kind: 'table',
      columns: [
        { name: 'project', type: 'text' },
        { name: 'task', type: 'text' },
        { name: 'algorithm', type: 'text' },
        { name: 'deployed', type: 'boolean' },
      ],
    },
  },
  {
    schema: 'pgml',
    name: 'chunk',
    params: [
      { name: 'splitter', type: 'text', hasDefault: false },
      { name: 'text', type: 'text', hasDefault: false },
    ],
    returns: { kind: 'setof', type: 'text' },
  },
  {
    schema: 'cron',
    name: 'schedule',
    params: [
      { name: 'schedule', type: 'text', hasDefault: false },
      { name: 'command', type: 'text', hasDefault: false },
    ],
    returns: { kind: 'scalar', type: 'bigint' },
  },
  {
    schema: 'cron',
    name: 'schedule',
    params: [
      { name: 'job_name', type: 'text', hasDefault: false },
      { name: 'schedule', type: 'text', hasDefault: false },
      { name: 'command', type: 'text', hasDefault: false },
    ],
    returns: { kind: 'scalar', type: 'bigint' },
  },
];

export const catalog: FunctionCatalog = {
  overloads(schema, name) {
    const found = signatures.filter((s) => s.schema === schema && s.name === name);
    return found.length > 0 ? found : undefined;
  },
};
