-- What the LLM cost, per application and per day: `spending` rows carry the price of their tokens
-- (LLM_PRICES; NULL when the model has no price), at a precision where one small call is not zero.
ALTER TABLE spending ALTER COLUMN money_usd TYPE numeric(16, 8);
ALTER TABLE spending ADD COLUMN llm_model text;
CREATE INDEX spending_application ON spending (application_id) WHERE application_id IS NOT NULL;
