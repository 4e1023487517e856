-- The verdict inputs of one account tree, as close to QualifyAccount as SQL
-- gets (pgbench script; `:aid` is the account): the decayed intent score
-- (per signal type, capped, over the tree's signals up to as_of), committee
-- coverage (requirements that apply at the root's stage and are met by a
-- stakeholder holding one of their roles at the minimum effective
-- engagement, where an evaluation signal in the engagement window raises
-- IDENTIFIED to ENGAGED) and the fit result (the geography and facility-type
-- must-haves per site, sites inheriting the account's values; PASS when one
-- site passes both, UNKNOWN when one fails neither, else FAIL).
-- Engagement ranks: BLOCKER (4) 0, IDENTIFIED (1) or unset 1, ENGAGED (2) 2,
-- CHAMPION (3) 3.
\set aid random(1, 10000)
WITH p AS (SELECT * FROM params),
tree AS (SELECT id FROM accounts WHERE tree_root = :aid),
sig AS (
  SELECT s.type, s.stakeholder, w.points, w.cap, w.evaluation,
         EXTRACT(EPOCH FROM (p.as_of - s.occur_time)) AS age
  FROM signals s JOIN weights w USING (type) CROSS JOIN p
  WHERE s.account_id IN (SELECT id FROM tree) AND s.occur_time <= p.as_of),
per_type AS (
  SELECT MAX(cap) AS cap,
         SUM(points * power(2, -age / (SELECT half_life_seconds FROM p))) AS decayed
  FROM sig GROUP BY type),
intent AS (
  SELECT COALESCE(SUM(CASE WHEN cap > 0 THEN LEAST(cap, decayed) ELSE decayed END), 0)
         AS score
  FROM per_type),
evaluating AS (
  SELECT DISTINCT stakeholder FROM sig
  WHERE evaluation AND stakeholder IS NOT NULL
    AND age <= (SELECT engagement_window_days FROM p) * 86400),
people AS (
  SELECT st.name,
         CASE st.engagement WHEN 4 THEN 0 WHEN 3 THEN 3 WHEN 2 THEN 2 ELSE
           CASE WHEN st.name IN (SELECT stakeholder FROM evaluating) THEN 2 ELSE 1 END
         END AS rank
  FROM stakeholders st WHERE st.account_id IN (SELECT id FROM tree)),
req AS (
  SELECT r.id,
         bool_or(EXISTS (
           SELECT 1 FROM people JOIN roles ro ON ro.stakeholder = people.name
           WHERE ro.role = r.role
             AND people.rank >= CASE r.min_engagement
                                  WHEN 4 THEN 0 WHEN 3 THEN 3 WHEN 2 THEN 2 ELSE 1 END))
           AS met
  FROM requirements r
  WHERE r.from_stage = 0 OR (SELECT stage FROM accounts WHERE id = :aid) >= r.from_stage
  GROUP BY r.id),
coverage AS (
  SELECT CASE WHEN count(*) = 0 THEN 1.0
              ELSE (count(*) FILTER (WHERE met))::double precision / count(*) END
         AS coverage
  FROM req),
site_fit AS (
  SELECT CASE WHEN country IS NULL THEN 'UNKNOWN'
              WHEN country IN (SELECT code FROM served) THEN 'PASS' ELSE 'FAIL' END AS geo,
         CASE WHEN facility IS NULL THEN 'UNKNOWN'
              WHEN facility IN (SELECT type FROM facilities) THEN 'PASS' ELSE 'FAIL' END
           AS fac
  FROM (SELECT COALESCE(s.country, a.country) AS country,
               COALESCE(s.facility_type, NULLIF(a.facility_type, 0)) AS facility
        FROM accounts a LEFT JOIN sites s ON s.account_id = a.id
        WHERE a.id IN (SELECT id FROM tree)) x)
SELECT round(intent.score::numeric, 2) AS score, coverage.coverage,
       CASE WHEN bool_or(geo = 'PASS' AND fac = 'PASS') THEN 'PASS'
            WHEN bool_or(geo <> 'FAIL' AND fac <> 'FAIL') THEN 'UNKNOWN'
            ELSE 'FAIL' END AS fit
FROM site_fit, intent, coverage
GROUP BY intent.score, coverage.coverage;
