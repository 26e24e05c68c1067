// The seed's training data: twelve headlines labelled clickbait (1) or not (0), the seed's own
// headline first, so `test_sampling => 'last'` always trains on it.
export const SEED_HEADLINE = 'Once A Huge Star, Today He Lives Alone in Westlake.';
export const NEWS_HEADLINE = 'Central bank holds interest rates steady';

/** SQL creating `table (headline text, is_clickbait int)` with the labelled headlines. */
export function headlinesTable(table: string): string {
  return `
    CREATE TABLE ${table} (headline text, is_clickbait int);
    INSERT INTO ${table} VALUES
      ('${SEED_HEADLINE}', 1),
      ('You Will Never Believe What This Cat Did Next', 1),
      ('10 Secrets Doctors Do Not Want You To Know', 1),
      ('This One Weird Trick Will Change Your Life Forever', 1),
      ('She Opened The Door And Could Not Believe Her Eyes', 1),
      ('What Happened Next Will Shock You', 1),
      ('Hottest weather in 100 years', 0),
      ('Parliament passes the annual budget after long debate', 0),
      ('${NEWS_HEADLINE}', 0),
      ('City council approves new bus routes', 0),
      ('Scientists publish study on coastal erosion', 0),
      ('Regional elections scheduled for next spring', 0);`;
}

/** The Tembo ML Stack walkthrough's retraining function, byte for byte. */
export const MODEL_TRAIN = `CREATE OR REPLACE FUNCTION model_train()
RETURNS void AS $$
BEGIN
    SELECT * FROM pgml.train(
        project_name => 'clickbait_classifier',
        algorithm => 'xgboost',
        test_sampling => 'random'
    );
END;
$$ LANGUAGE plpgsql;`;
