-- pgml-proxy: what the dashboard's model plots need from training, stored with the model: a
-- bounded sample of the held-out rows' labels and predictions (confusion matrix, ROC and PR
-- curves, predicted vs actual, residuals, cluster sizes), per-component explained variance and
-- permutation feature importance. Written in the same statement that registers the model, so a
-- model never exists without it; deleted with the model.
CREATE TABLE pgml.model_test_results (
	model_id BIGINT PRIMARY KEY,
	-- Rows in the held-out set; `results` holds at most 500 of them.
	test_rows INT NOT NULL,
	results JSONB NOT NULL,
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL DEFAULT clock_timestamp(),
	CONSTRAINT model_id_fk FOREIGN KEY(model_id) REFERENCES pgml.models(id) ON DELETE CASCADE
);

-- Whoever may read a model may read its test results, and whoever may register models writes
-- them: no grant for administrators to remember beside those on pgml.models. The insert runs in
-- the registering statement, which cannot yet see its own model row, so writing is checked on
-- the privilege alone; the foreign key keeps it to existing models and the primary key to one row.
GRANT SELECT, INSERT ON pgml.model_test_results TO PUBLIC;
ALTER TABLE pgml.model_test_results ENABLE ROW LEVEL SECURITY;
CREATE POLICY model_test_results_read ON pgml.model_test_results FOR SELECT
	USING (model_id IN (SELECT id FROM pgml.models));
CREATE POLICY model_test_results_write ON pgml.model_test_results FOR INSERT
	WITH CHECK (has_table_privilege('pgml.models', 'INSERT'));
