-- Pairs a finished session could not compute yet (a leg had no close): JSON list of pair keys.
-- The daily run retries them until the deadline; the other pairs' alerts are already queued.
ALTER TABLE sessions_done ADD COLUMN waiting TEXT NOT NULL DEFAULT '[]';
