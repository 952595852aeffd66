-- Most of the outbox is rows already delivered (a week of every chat's messages, kept by
-- the retention) and they never change again. The indexes that find the next row to send
-- now hold only the rows still to send, so marking a row sent (or dead, or skipped) takes
-- it out of them instead of moving it inside them, and a week of sent rows no longer
-- weighs on every index. A session of digests to 100,000 chats, queued, sent and pruned:
-- 2.2 s before, 1.5 s after, and the file a fifth smaller (BENCHMARKS.md, round three).
DROP INDEX outbox_due;
DROP INDEX outbox_pending;
DROP INDEX outbox_chat;
-- The due read walks pending rows in id order and stops at its limit (see 0008).
CREATE INDEX outbox_pending ON outbox (id) WHERE status = 'pending';
-- When the earliest pending row becomes due.
CREATE INDEX outbox_due ON outbox (not_before) WHERE status = 'pending';
-- Rows in flight, by the process holding them (a sender's restart requeues them).
CREATE INDEX outbox_sending ON outbox (claimed_by) WHERE status = 'sending';
-- Rows that failed for good or were dropped (few): /status counts each status from its own
-- index, and the sent rows as the rest of the table (storage.outbox.counts).
CREATE INDEX outbox_dead ON outbox (id) WHERE status = 'dead';
CREATE INDEX outbox_skipped ON outbox (id) WHERE status = 'skipped';
-- A chat's rows (a few a session, bounded by the retention): its order of delivery, its
-- last alert, its undelivered rows when it goes away.
CREATE INDEX outbox_chat ON outbox (chat_id);
