-- The per-event counts of several file rows that share one natural key, added up event by event: a file
-- can carry a cut that Kontora does not keep (an ad format, a site), and its rows then fold into one fact.
-- NULL when no row names an event (missing stays missing, never an empty object that reads like zero).
CREATE OR REPLACE FUNCTION analytics_events_sum(documents jsonb[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT jsonb_object_agg(counted.key, counted.total)
    FROM (
        SELECT item.key, sum(item.value::numeric) AS total
        FROM unnest(documents) AS document, jsonb_each_text(document) AS item
        GROUP BY item.key
    ) AS counted
$$;
