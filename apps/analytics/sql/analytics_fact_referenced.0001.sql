-- What daily facts name is not deleted, nor moved to another source or organization, under them (the other
-- half of analytics_fact_references, which checks the facts as they are written). A campaign's facts are
-- found through the natural key's index (organization, source, report date, campaign, …: a skip scan over the
-- days); an import's facts by a scan, which is acceptable for a deletion that the application never makes.
CREATE OR REPLACE FUNCTION analytics_fact_referenced_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.source_id = OLD.source_id
            AND NEW.organization_id = OLD.organization_id THEN
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME = 'analytics_campaign' THEN
        PERFORM 1 FROM analytics_metricfact f
        WHERE f.organization_id = OLD.organization_id AND f.source_id = OLD.source_id AND f.campaign_id = OLD.id
        LIMIT 1;
    ELSE
        PERFORM 1 FROM analytics_metricfact f WHERE f.import_job_id = OLD.id LIMIT 1;
    END IF;
    IF FOUND THEN
        RAISE EXCEPTION '% % has daily facts; it cannot be deleted or moved', TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

DROP TRIGGER IF EXISTS analytics_campaign_facts_guard ON analytics_campaign;
CREATE TRIGGER analytics_campaign_facts_guard BEFORE DELETE OR UPDATE OF id, source_id, organization_id
    ON analytics_campaign FOR EACH ROW EXECUTE FUNCTION analytics_fact_referenced_guard();

DROP TRIGGER IF EXISTS analytics_importjob_facts_guard ON analytics_importjob;
CREATE TRIGGER analytics_importjob_facts_guard BEFORE DELETE OR UPDATE OF id, source_id, organization_id
    ON analytics_importjob FOR EACH ROW EXECUTE FUNCTION analytics_fact_referenced_guard();
