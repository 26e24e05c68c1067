-- PostgresML's vector functions (pgml-extension/src/vectors.rs) as plain SQL, so they run inside
-- any Postgres, embedded PGlite included, and the proxy never has to evaluate them: same names,
-- parameter names (for named notation), overloads for real[] and double precision[], volatility
-- and strictness. Where PostgresML zips two arrays of different lengths the result has the
-- shorter length here too. Sums are accumulated in double precision even for real[], closer to
-- the BLAS routines PostgresML calls than float4 accumulation would be. Normalizing a zero vector
-- and the cosine similarity with one give NaN, the IEEE result PostgresML returns, instead of a
-- division_by_zero error; pgml.divide keeps Postgres' own `/` semantics.
-- The aggregates pgml.sum/min/max/max_abs/min_abs work elementwise; their step functions live
-- in pgml_proxy (created by the migration runner) to keep the pgml namespace PostgresML's.

-- real[]

CREATE FUNCTION pgml.add(vector real[], addend real) RETURNS real[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(a + addend ORDER BY i), '{}') FROM unnest(vector) WITH ORDINALITY AS t(a, i));

CREATE FUNCTION pgml.add(vector real[], addend real[]) RETURNS real[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(a + b ORDER BY i), '{}') FROM unnest(vector, addend) WITH ORDINALITY AS t(a, b, i)
        WHERE i <= least(cardinality(vector), cardinality(addend)));

CREATE FUNCTION pgml.subtract(vector real[], subtahend real) RETURNS real[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(a - subtahend ORDER BY i), '{}') FROM unnest(vector) WITH ORDINALITY AS t(a, i));

CREATE FUNCTION pgml.subtract(vector real[], subtrahend real[]) RETURNS real[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(a - b ORDER BY i), '{}') FROM unnest(vector, subtrahend) WITH ORDINALITY AS t(a, b, i)
        WHERE i <= least(cardinality(vector), cardinality(subtrahend)));

CREATE FUNCTION pgml.multiply(vector real[], multiplicand real) RETURNS real[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(a * multiplicand ORDER BY i), '{}') FROM unnest(vector) WITH ORDINALITY AS t(a, i));

CREATE FUNCTION pgml.multiply(vector real[], multiplicand real[]) RETURNS real[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(a * b ORDER BY i), '{}') FROM unnest(vector, multiplicand) WITH ORDINALITY AS t(a, b, i)
        WHERE i <= least(cardinality(vector), cardinality(multiplicand)));

CREATE FUNCTION pgml.divide(vector real[], dividend real) RETURNS real[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(a / dividend ORDER BY i), '{}') FROM unnest(vector) WITH ORDINALITY AS t(a, i));

CREATE FUNCTION pgml.divide(vector real[], dividend real[]) RETURNS real[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(a / b ORDER BY i), '{}') FROM unnest(vector, dividend) WITH ORDINALITY AS t(a, b, i)
        WHERE i <= least(cardinality(vector), cardinality(dividend)));

CREATE FUNCTION pgml.norm_l0(vector real[]) RETURNS real
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT (count(*) FILTER (WHERE a <> 0))::real FROM unnest(vector) AS t(a));

CREATE FUNCTION pgml.norm_l1(vector real[]) RETURNS real
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT (coalesce(sum(abs(a::float8)), 0))::real FROM unnest(vector) AS t(a));

CREATE FUNCTION pgml.norm_l2(vector real[]) RETURNS real
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT (coalesce(sqrt(sum(a::float8 * a::float8)), 0))::real FROM unnest(vector) AS t(a));

CREATE FUNCTION pgml.norm_max(vector real[]) RETURNS real
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT (coalesce(max(abs(a::float8)), 0))::real FROM unnest(vector) AS t(a));

CREATE FUNCTION pgml.normalize_l1(vector real[]) RETURNS real[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(CASE WHEN n.norm = 0 THEN 'NaN' ELSE (a::float8 / n.norm)::real END ORDER BY i), '{}')
        FROM unnest(vector) WITH ORDINALITY AS t(a, i), (SELECT pgml.norm_l1(vector)::float8 AS norm) AS n);

CREATE FUNCTION pgml.normalize_l2(vector real[]) RETURNS real[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(CASE WHEN n.norm = 0 THEN 'NaN' ELSE (a::float8 / n.norm)::real END ORDER BY i), '{}')
        FROM unnest(vector) WITH ORDINALITY AS t(a, i), (SELECT pgml.norm_l2(vector)::float8 AS norm) AS n);

CREATE FUNCTION pgml.normalize_max(vector real[]) RETURNS real[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(CASE WHEN n.norm = 0 THEN 'NaN' ELSE (a::float8 / n.norm)::real END ORDER BY i), '{}')
        FROM unnest(vector) WITH ORDINALITY AS t(a, i), (SELECT pgml.norm_max(vector)::float8 AS norm) AS n);

CREATE FUNCTION pgml.distance_l1(vector real[], other real[]) RETURNS real
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT (coalesce(sum(abs(a::float8 - b::float8)), 0))::real FROM unnest(vector, other) WITH ORDINALITY AS t(a, b, i) WHERE i <= least(cardinality(vector), cardinality(other)));

CREATE FUNCTION pgml.distance_l2(vector real[], other real[]) RETURNS real
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT (coalesce(sqrt(sum((a::float8 - b::float8) ^ 2)), 0))::real FROM unnest(vector, other) WITH ORDINALITY AS t(a, b, i) WHERE i <= least(cardinality(vector), cardinality(other)));

CREATE FUNCTION pgml.dot_product(vector real[], other real[]) RETURNS real
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT (coalesce(sum(a::float8 * b::float8), 0))::real FROM unnest(vector, other) WITH ORDINALITY AS t(a, b, i) WHERE i <= least(cardinality(vector), cardinality(other)));

CREATE FUNCTION pgml.cosine_similarity(vector real[], other real[]) RETURNS real
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT (CASE WHEN s.na = 0 OR s.nb = 0 THEN 'NaN' ELSE s.dot / (sqrt(s.na) * sqrt(s.nb)) END)::real
        FROM (SELECT sum(a::float8 * b::float8) AS dot, sum(a::float8 * a::float8) AS na, sum(b::float8 * b::float8) AS nb
              FROM unnest(vector, other) WITH ORDINALITY AS t(a, b, i) WHERE i <= least(cardinality(vector), cardinality(other))) AS s);

CREATE FUNCTION pgml_proxy.vector_sum_step(state real[], value real[]) RETURNS real[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(a + b ORDER BY i), '{}') FROM unnest(state, value) WITH ORDINALITY AS t(a, b, i)
        WHERE i <= least(cardinality(state), cardinality(value)));

CREATE AGGREGATE pgml.sum(real[]) (
  SFUNC = pgml_proxy.vector_sum_step,
  STYPE = real[],
  COMBINEFUNC = pgml_proxy.vector_sum_step,
  PARALLEL = SAFE
);

CREATE FUNCTION pgml_proxy.vector_max_step(state real[], value real[]) RETURNS real[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(greatest(a, b) ORDER BY i), '{}') FROM unnest(state, value) WITH ORDINALITY AS t(a, b, i)
        WHERE i <= least(cardinality(state), cardinality(value)));

CREATE AGGREGATE pgml.max(real[]) (
  SFUNC = pgml_proxy.vector_max_step,
  STYPE = real[],
  COMBINEFUNC = pgml_proxy.vector_max_step,
  PARALLEL = SAFE
);

CREATE FUNCTION pgml_proxy.vector_min_step(state real[], value real[]) RETURNS real[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(least(a, b) ORDER BY i), '{}') FROM unnest(state, value) WITH ORDINALITY AS t(a, b, i)
        WHERE i <= least(cardinality(state), cardinality(value)));

CREATE AGGREGATE pgml.min(real[]) (
  SFUNC = pgml_proxy.vector_min_step,
  STYPE = real[],
  COMBINEFUNC = pgml_proxy.vector_min_step,
  PARALLEL = SAFE
);

CREATE FUNCTION pgml_proxy.vector_max_abs_step(state real[], value real[]) RETURNS real[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(greatest(abs(a), abs(b)) ORDER BY i), '{}') FROM unnest(state, value) WITH ORDINALITY AS t(a, b, i)
        WHERE i <= least(cardinality(state), cardinality(value)));

CREATE FUNCTION pgml_proxy.vector_abs(value real[]) RETURNS real[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(abs(a) ORDER BY i), '{}') FROM unnest(value) WITH ORDINALITY AS t(a, i));

CREATE AGGREGATE pgml.max_abs(real[]) (
  SFUNC = pgml_proxy.vector_max_abs_step,
  STYPE = real[],
  FINALFUNC = pgml_proxy.vector_abs,
  COMBINEFUNC = pgml_proxy.vector_max_abs_step,
  PARALLEL = SAFE
);

CREATE FUNCTION pgml_proxy.vector_min_abs_step(state real[], value real[]) RETURNS real[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(least(abs(a), abs(b)) ORDER BY i), '{}') FROM unnest(state, value) WITH ORDINALITY AS t(a, b, i)
        WHERE i <= least(cardinality(state), cardinality(value)));


CREATE AGGREGATE pgml.min_abs(real[]) (
  SFUNC = pgml_proxy.vector_min_abs_step,
  STYPE = real[],
  FINALFUNC = pgml_proxy.vector_abs,
  COMBINEFUNC = pgml_proxy.vector_min_abs_step,
  PARALLEL = SAFE
);


-- double precision[]

CREATE FUNCTION pgml.add(vector double precision[], addend double precision) RETURNS double precision[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(a + addend ORDER BY i), '{}') FROM unnest(vector) WITH ORDINALITY AS t(a, i));

CREATE FUNCTION pgml.add(vector double precision[], addend double precision[]) RETURNS double precision[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(a + b ORDER BY i), '{}') FROM unnest(vector, addend) WITH ORDINALITY AS t(a, b, i)
        WHERE i <= least(cardinality(vector), cardinality(addend)));

CREATE FUNCTION pgml.subtract(vector double precision[], subtahend double precision) RETURNS double precision[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(a - subtahend ORDER BY i), '{}') FROM unnest(vector) WITH ORDINALITY AS t(a, i));

CREATE FUNCTION pgml.subtract(vector double precision[], subtrahend double precision[]) RETURNS double precision[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(a - b ORDER BY i), '{}') FROM unnest(vector, subtrahend) WITH ORDINALITY AS t(a, b, i)
        WHERE i <= least(cardinality(vector), cardinality(subtrahend)));

CREATE FUNCTION pgml.multiply(vector double precision[], multiplicand double precision) RETURNS double precision[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(a * multiplicand ORDER BY i), '{}') FROM unnest(vector) WITH ORDINALITY AS t(a, i));

CREATE FUNCTION pgml.multiply(vector double precision[], multiplicand double precision[]) RETURNS double precision[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(a * b ORDER BY i), '{}') FROM unnest(vector, multiplicand) WITH ORDINALITY AS t(a, b, i)
        WHERE i <= least(cardinality(vector), cardinality(multiplicand)));

CREATE FUNCTION pgml.divide(vector double precision[], dividend double precision) RETURNS double precision[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(a / dividend ORDER BY i), '{}') FROM unnest(vector) WITH ORDINALITY AS t(a, i));

CREATE FUNCTION pgml.divide(vector double precision[], dividend double precision[]) RETURNS double precision[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(a / b ORDER BY i), '{}') FROM unnest(vector, dividend) WITH ORDINALITY AS t(a, b, i)
        WHERE i <= least(cardinality(vector), cardinality(dividend)));

CREATE FUNCTION pgml.norm_l0(vector double precision[]) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT (count(*) FILTER (WHERE a <> 0))::float8 FROM unnest(vector) AS t(a));

CREATE FUNCTION pgml.norm_l1(vector double precision[]) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT (coalesce(sum(abs(a::float8)), 0))::float8 FROM unnest(vector) AS t(a));

CREATE FUNCTION pgml.norm_l2(vector double precision[]) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT (coalesce(sqrt(sum(a::float8 * a::float8)), 0))::float8 FROM unnest(vector) AS t(a));

CREATE FUNCTION pgml.norm_max(vector double precision[]) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT (coalesce(max(abs(a::float8)), 0))::float8 FROM unnest(vector) AS t(a));

CREATE FUNCTION pgml.normalize_l1(vector double precision[]) RETURNS double precision[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(CASE WHEN n.norm = 0 THEN 'NaN' ELSE (a::float8 / n.norm) END ORDER BY i), '{}')
        FROM unnest(vector) WITH ORDINALITY AS t(a, i), (SELECT pgml.norm_l1(vector)::float8 AS norm) AS n);

CREATE FUNCTION pgml.normalize_l2(vector double precision[]) RETURNS double precision[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(CASE WHEN n.norm = 0 THEN 'NaN' ELSE (a::float8 / n.norm) END ORDER BY i), '{}')
        FROM unnest(vector) WITH ORDINALITY AS t(a, i), (SELECT pgml.norm_l2(vector)::float8 AS norm) AS n);

CREATE FUNCTION pgml.normalize_max(vector double precision[]) RETURNS double precision[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(CASE WHEN n.norm = 0 THEN 'NaN' ELSE (a::float8 / n.norm) END ORDER BY i), '{}')
        FROM unnest(vector) WITH ORDINALITY AS t(a, i), (SELECT pgml.norm_max(vector)::float8 AS norm) AS n);

CREATE FUNCTION pgml.distance_l1(vector double precision[], other double precision[]) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT (coalesce(sum(abs(a::float8 - b::float8)), 0)) FROM unnest(vector, other) WITH ORDINALITY AS t(a, b, i) WHERE i <= least(cardinality(vector), cardinality(other)));

CREATE FUNCTION pgml.distance_l2(vector double precision[], other double precision[]) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT (coalesce(sqrt(sum((a::float8 - b::float8) ^ 2)), 0)) FROM unnest(vector, other) WITH ORDINALITY AS t(a, b, i) WHERE i <= least(cardinality(vector), cardinality(other)));

CREATE FUNCTION pgml.dot_product(vector double precision[], other double precision[]) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT (coalesce(sum(a::float8 * b::float8), 0)) FROM unnest(vector, other) WITH ORDINALITY AS t(a, b, i) WHERE i <= least(cardinality(vector), cardinality(other)));

CREATE FUNCTION pgml.cosine_similarity(vector double precision[], other double precision[]) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT (CASE WHEN s.na = 0 OR s.nb = 0 THEN 'NaN' ELSE s.dot / (sqrt(s.na) * sqrt(s.nb)) END)
        FROM (SELECT sum(a::float8 * b::float8) AS dot, sum(a::float8 * a::float8) AS na, sum(b::float8 * b::float8) AS nb
              FROM unnest(vector, other) WITH ORDINALITY AS t(a, b, i) WHERE i <= least(cardinality(vector), cardinality(other))) AS s);

CREATE FUNCTION pgml_proxy.vector_sum_step(state double precision[], value double precision[]) RETURNS double precision[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(a + b ORDER BY i), '{}') FROM unnest(state, value) WITH ORDINALITY AS t(a, b, i)
        WHERE i <= least(cardinality(state), cardinality(value)));

CREATE AGGREGATE pgml.sum(double precision[]) (
  SFUNC = pgml_proxy.vector_sum_step,
  STYPE = double precision[],
  COMBINEFUNC = pgml_proxy.vector_sum_step,
  PARALLEL = SAFE
);

CREATE FUNCTION pgml_proxy.vector_max_step(state double precision[], value double precision[]) RETURNS double precision[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(greatest(a, b) ORDER BY i), '{}') FROM unnest(state, value) WITH ORDINALITY AS t(a, b, i)
        WHERE i <= least(cardinality(state), cardinality(value)));

CREATE AGGREGATE pgml.max(double precision[]) (
  SFUNC = pgml_proxy.vector_max_step,
  STYPE = double precision[],
  COMBINEFUNC = pgml_proxy.vector_max_step,
  PARALLEL = SAFE
);

CREATE FUNCTION pgml_proxy.vector_min_step(state double precision[], value double precision[]) RETURNS double precision[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(least(a, b) ORDER BY i), '{}') FROM unnest(state, value) WITH ORDINALITY AS t(a, b, i)
        WHERE i <= least(cardinality(state), cardinality(value)));

CREATE AGGREGATE pgml.min(double precision[]) (
  SFUNC = pgml_proxy.vector_min_step,
  STYPE = double precision[],
  COMBINEFUNC = pgml_proxy.vector_min_step,
  PARALLEL = SAFE
);

CREATE FUNCTION pgml_proxy.vector_max_abs_step(state double precision[], value double precision[]) RETURNS double precision[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(greatest(abs(a), abs(b)) ORDER BY i), '{}') FROM unnest(state, value) WITH ORDINALITY AS t(a, b, i)
        WHERE i <= least(cardinality(state), cardinality(value)));

CREATE FUNCTION pgml_proxy.vector_abs(value double precision[]) RETURNS double precision[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(abs(a) ORDER BY i), '{}') FROM unnest(value) WITH ORDINALITY AS t(a, i));

CREATE AGGREGATE pgml.max_abs(double precision[]) (
  SFUNC = pgml_proxy.vector_max_abs_step,
  STYPE = double precision[],
  FINALFUNC = pgml_proxy.vector_abs,
  COMBINEFUNC = pgml_proxy.vector_max_abs_step,
  PARALLEL = SAFE
);

CREATE FUNCTION pgml_proxy.vector_min_abs_step(state double precision[], value double precision[]) RETURNS double precision[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT coalesce(array_agg(least(abs(a), abs(b)) ORDER BY i), '{}') FROM unnest(state, value) WITH ORDINALITY AS t(a, b, i)
        WHERE i <= least(cardinality(state), cardinality(value)));


CREATE AGGREGATE pgml.min_abs(double precision[]) (
  SFUNC = pgml_proxy.vector_min_abs_step,
  STYPE = double precision[],
  FINALFUNC = pgml_proxy.vector_abs,
  COMBINEFUNC = pgml_proxy.vector_min_abs_step,
  PARALLEL = SAFE
);

