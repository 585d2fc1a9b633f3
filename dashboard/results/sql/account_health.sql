-- One account's measures: its value, score, weight and contribution to the health score.
-- Reads the health details (result "health_details").
SELECT * FROM health_details WHERE account_id = $account_id ORDER BY measure
