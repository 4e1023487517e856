-- The benchmark's small accounts in PostgreSQL, as a user would model them
-- without quorum: one table per record kind, plus the default policy's
-- parameters (written by `quorum_benchgen csv` from the compiled-in policy).
-- Loaded by scripts/bench/bench.py with psql's \copy from CSV files.
CREATE TABLE params (
  half_life_seconds double precision NOT NULL,
  evaluation_window_days integer NOT NULL,
  engagement_window_days integer NOT NULL,
  as_of timestamptz NOT NULL
);
CREATE TABLE accounts (
  id integer PRIMARY KEY,
  tree_root integer NOT NULL,   -- the root account of the tree it belongs to
  country text,
  facility_type integer,
  stage integer NOT NULL
);
CREATE TABLE sites (
  account_id integer NOT NULL,
  name text PRIMARY KEY,
  country text,                 -- NULL: inherits the account's
  facility_type integer         -- NULL: inherits the account's
);
CREATE TABLE stakeholders (
  account_id integer NOT NULL,
  name text PRIMARY KEY,
  engagement integer NOT NULL
);
CREATE TABLE roles (
  stakeholder text NOT NULL,
  role integer NOT NULL
);
CREATE TABLE signals (
  account_id integer NOT NULL,
  id text NOT NULL,
  type integer NOT NULL,
  stakeholder text,
  occur_time timestamptz NOT NULL,
  PRIMARY KEY (account_id, id)
);
CREATE TABLE weights (
  type integer PRIMARY KEY,
  points double precision NOT NULL,
  cap double precision NOT NULL,
  evaluation boolean NOT NULL
);
CREATE TABLE requirements (
  id text NOT NULL,
  role integer NOT NULL,
  min_engagement integer NOT NULL,
  from_stage integer NOT NULL
);
CREATE TABLE served (code text PRIMARY KEY);
CREATE TABLE facilities (type integer PRIMARY KEY);
