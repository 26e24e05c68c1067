/**
 * The toy datasets pgml.load_dataset creates, table by table, as PostgresML's
 * `pgml-extension/src/orm/dataset.rs` defines them: the same table names, column names, column
 * order and types. The values come from the CSV copies the project ships in `datasets/`, whose
 * headers are scikit-learn's feature names; each column says which CSV field feeds it.
 */
import { PgError, SqlState } from '../../errors/index.js';

/** One CSV record, keyed by header name. */
export type CsvRecord = ReadonlyMap<string, string>;

export interface DatasetColumn {
  /** Column name in the created table (quoted as an identifier when used). */
  name: string;
  /** Column type, spelled as PostgresML's CREATE TABLE spells it. */
  type: string;
  /** The value in Postgres text input form, read from one CSV record. */
  value(record: CsvRecord): string;
}

export interface DatasetSpec {
  /** Table name in schema pgml. */
  table: string;
  /** File name under `datasets/`. */
  file: string;
  columns: readonly DatasetColumn[];
}

function field(record: CsvRecord, name: string): string {
  const text = record.get(name);
  if (text === undefined) throw new PgError(SqlState.DataException, `bundled dataset file has no column "${name}"`);
  return text;
}

function finite(record: CsvRecord, name: string): number {
  const text = field(record, name);
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new PgError(SqlState.DataException, `bundled dataset value "${text}" in column "${name}" is not a number`);
  }
  return value;
}

function integer(record: CsvRecord, name: string): number {
  const value = finite(record, name);
  if (!Number.isInteger(value)) {
    throw new PgError(SqlState.DataException, `bundled dataset value ${value} in column "${name}" is not an integer`);
  }
  return value;
}

/** A FLOAT4 column: the CSV text goes to Postgres untouched, so float4in rounds it once, as PostgresML's f32 parse does. */
function float4(name: string, source = name): DatasetColumn {
  return {
    name,
    type: 'FLOAT4',
    value: (record) => {
      finite(record, source);
      return field(record, source);
    },
  };
}

/** An integer column; the CSV may spell whole numbers as `5.0`, which int input would reject. */
function int(name: string, type: 'INT4' | 'SMALLINT', source = name): DatasetColumn {
  return { name, type, value: (record) => String(integer(record, source)) };
}

const BREAST_CANCER_FEATURES = [
  'radius',
  'texture',
  'perimeter',
  'area',
  'smoothness',
  'compactness',
  'concavity',
  'concave points',
  'symmetry',
  'fractal dimension',
];

const breastCancer: DatasetSpec = {
  table: 'breast_cancer',
  file: 'breast_cancer.csv',
  columns: [
    ...BREAST_CANCER_FEATURES.map((f) => `mean ${f}`),
    ...BREAST_CANCER_FEATURES.map((f) => `${f} error`),
    ...BREAST_CANCER_FEATURES.map((f) => `worst ${f}`),
  ]
    .map((name) => float4(name, name.replaceAll(' ', '_')))
    .concat({
      // scikit-learn's target 0 is the malignant class; PostgresML stores the flag.
      name: 'malignant',
      type: 'BOOLEAN',
      value: (record) => (integer(record, 'target') === 0 ? 'true' : 'false'),
    }),
};

const diabetes: DatasetSpec = {
  table: 'diabetes',
  file: 'diabetes.csv',
  columns: ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6', 'target'].map((name) => float4(name)),
};

const DIGIT_SIDE = 8;

const digits: DatasetSpec = {
  table: 'digits',
  file: 'digits.csv',
  columns: [
    {
      // PostgresML keeps the 8×8 image as a two-dimensional array; the CSV flattens it to pixel_<row>_<col>.
      name: 'image',
      type: 'SMALLINT[][]',
      value: (record) => {
        const rows: string[] = [];
        for (let r = 0; r < DIGIT_SIDE; r++) {
          const pixels: number[] = [];
          for (let c = 0; c < DIGIT_SIDE; c++) pixels.push(integer(record, `pixel_${r}_${c}`));
          rows.push(`{${pixels.join(',')}}`);
        }
        return `{${rows.join(',')}}`;
      },
    },
    int('target', 'SMALLINT'),
  ],
};

const iris: DatasetSpec = {
  table: 'iris',
  file: 'iris.csv',
  columns: [
    float4('sepal_length', 'sepal_length_cm'),
    float4('sepal_width', 'sepal_width_cm'),
    float4('petal_length', 'petal_length_cm'),
    float4('petal_width', 'petal_width_cm'),
    int('target', 'INT4'),
  ],
};

const linnerud: DatasetSpec = {
  table: 'linnerud',
  file: 'linnerud.csv',
  columns: [
    float4('chins', 'Chins'),
    float4('situps', 'Situps'),
    float4('jumps', 'Jumps'),
    float4('weight', 'Weight'),
    float4('waist', 'Waist'),
    float4('pulse', 'Pulse'),
  ],
};

// PostgresML declares hue before color_intensity but its INSERT binds each to the other's value;
// the columns here hold the values their names say.
const wine: DatasetSpec = {
  table: 'wine',
  file: 'wine.csv',
  columns: [
    ...[
      'alcohol',
      'malic_acid',
      'ash',
      'alcalinity_of_ash',
      'magnesium',
      'total_phenols',
      'flavanoids',
      'nonflavanoid_phenols',
      'proanthocyanins',
      'hue',
      'color_intensity',
      'od280/od315_of_diluted_wines',
      'proline',
    ].map((name) => float4(name)),
    int('target', 'INT4'),
  ],
};

export const DATASETS: ReadonlyMap<string, DatasetSpec> = new Map(
  [breastCancer, diabetes, digits, iris, linnerud, wine].map((spec) => [spec.table, spec]),
);
