-- The references of daily facts, checked once per statement: every fact an INSERT or UPDATE wrote names a
-- campaign of its own source and organization, and an import of that source. A fact table takes a million
-- rows in one import; per-row foreign keys would run four lookups a row (most of an import's time), one
-- join over the statement's rows does the same work set-based.
CREATE OR REPLACE FUNCTION analytics_fact_references_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    stray record;
BEGIN
    SELECT w.id, w.organization_id, w.source_id, w.campaign_id, w.import_job_id INTO stray
    FROM written_facts w
    LEFT JOIN analytics_campaign c
           ON c.id = w.campaign_id AND c.source_id = w.source_id AND c.organization_id = w.organization_id
    LEFT JOIN analytics_importjob j
           ON j.id = w.import_job_id AND j.source_id = w.source_id AND j.organization_id = w.organization_id
    WHERE c.id IS NULL OR j.id IS NULL
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'daily fact % names campaign % and import % that are not of its source % and organization %',
            stray.id, stray.campaign_id, stray.import_job_id, stray.source_id, stray.organization_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS analytics_fact_references_insert ON analytics_metricfact;
CREATE TRIGGER analytics_fact_references_insert AFTER INSERT ON analytics_metricfact
    REFERENCING NEW TABLE AS written_facts
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_fact_references_check();

DROP TRIGGER IF EXISTS analytics_fact_references_update ON analytics_metricfact;
CREATE TRIGGER analytics_fact_references_update AFTER UPDATE ON analytics_metricfact
    REFERENCING NEW TABLE AS written_facts
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_fact_references_check();
