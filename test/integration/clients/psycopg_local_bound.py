"""Bound-parameter pgml calls through psycopg 3 without prepare (Parse, Bind, Describe, Execute and
Sync of the unnamed statement, as libpq's PQsendQueryParams sends them) and with prepare=True (a
named statement prepared once, then Bind, Describe, Execute and Sync, as PQsendQueryPrepared sends
them), text and binary results:
prints the backend's last statement and its start time (pg_stat_activity, read on a direct
connection) before and after the calls, for answer-locally-extended.test.ts to check that the
proxy answered them itself.

Usage: python3 psycopg_local_bound.py PROXY_URL DIRECT_URL TINY_MODEL
"""
import json
import sys

import psycopg

PREDICT = "SELECT pgml.predict('reg', %s::real[])"
EMBED = "SELECT pgml.embed(%s, %s)"


def calls(conn, tiny):
    features = [0.25, -0.5, 0.125]
    return [
        conn.execute(PREDICT, [features], binary=True).fetchone(),
        conn.execute(PREDICT, [features]).fetchone(),
        conn.execute(EMBED, [tiny, "The cat sat on the mat."], binary=True).fetchone(),
        conn.execute(EMBED, [tiny, "short"]).fetchone(),
        conn.execute(PREDICT, [features], prepare=True, binary=True).fetchone(),
        conn.execute(EMBED, [tiny, "short"], prepare=True).fetchone(),
    ]


def main() -> None:
    proxy_url, direct_url, tiny = sys.argv[1], sys.argv[2], sys.argv[3]
    with psycopg.connect(proxy_url, autocommit=True) as conn, psycopg.connect(direct_url, autocommit=True) as observer:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]

        def last_query():
            row = observer.execute("SELECT query, query_start::text FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
            return list(row)

        # The first calls read the session's settings, check the role's access to each model and
        # prepare the statements; a statement prepared upstream has the next call check again.
        calls(conn, tiny)
        calls(conn, tiny)
        before = last_query()
        rows = calls(conn, tiny)
        after = last_query()
    print(json.dumps({"before": before, "after": after, "rows": len(rows)}))


if __name__ == "__main__":
    main()
