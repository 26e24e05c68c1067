/**
 * Shapes of the dashboard API's answers that the front end (web/) reads too. No imports: the
 * front end's type check includes this file, without Node's types.
 */
export interface ColumnSummary {
  name: string;
  label: boolean;
  kind: 'numeric' | 'categorical';
  /** Non-null values in the sample. */
  count: number;
  nulls: number;
  histogram?: { x0: number; x1: number; count: number }[];
  categories?: { value: string; count: number }[];
  /** Pearson correlation with the (numeric or boolean) label over the sample; absent when the label is not numeric or a side is constant. */
  correlation?: number;
}
