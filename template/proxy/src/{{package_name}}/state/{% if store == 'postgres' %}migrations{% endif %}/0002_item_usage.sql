-- The tokens each reply took (prompt, completion, and whether the proxy estimated them), kept
-- beside its item: ChatKit's items have no field for them.

ALTER TABLE items ADD COLUMN usage jsonb;
