-- Threads, their items and attachment metadata, each row owned by one user.
-- `seq` keeps insertion order for cursor pagination; `data` is the ChatKit object as JSON.

CREATE TABLE threads (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    user_id text NOT NULL,
    data jsonb NOT NULL
);
CREATE INDEX threads_by_user ON threads (user_id, seq);

CREATE TABLE items (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    thread_id text NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    user_id text NOT NULL,
    data jsonb NOT NULL
);
CREATE INDEX items_by_thread ON items (thread_id, seq);

CREATE TABLE attachments (
    id text PRIMARY KEY,
    user_id text NOT NULL,
    data jsonb NOT NULL
);
