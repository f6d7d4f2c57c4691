-- The status the application's card in the chat last showed. A process that dies between a status
-- change and the card's edit leaves the card behind; the scheduler finds it (card_status <> status)
-- and draws it again.
ALTER TABLE applications ADD COLUMN card_status text;
-- Cards drawn before this column existed are taken to show their status.
UPDATE applications SET card_status = status WHERE card_message_id IS NOT NULL;
