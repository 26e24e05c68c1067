-- pgml-proxy: what a stored model needs at prediction time besides its estimator bytes.
-- PostgresML keeps the fitted preprocessing in pgml.snapshots.columns, shared by every model of a
-- snapshot; here each training fits its own feature pipeline on its own split, so the pipeline
-- (src/pgml/domain/pipeline.ts FeaturePipelineJson) and the label encoding (class values, or the
-- regression label columns) are stored with the model. NULL on rows PostgresML itself wrote.
ALTER TABLE pgml.models
	ADD COLUMN pipeline JSONB,
	ADD COLUMN labels JSONB;
