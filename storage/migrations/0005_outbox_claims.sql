-- Who holds a row in 'sending', and since when: a second process (`rotation-bot daily` next to
-- `rotation-bot run`) must not requeue a message another live sender is delivering right now.
ALTER TABLE outbox ADD COLUMN claimed_by INTEGER;
ALTER TABLE outbox ADD COLUMN claimed_at TEXT;
