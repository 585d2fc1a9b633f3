-- Every account that has been a customer by the as-of day, with its tier under the rule in force (for a
-- former customer, its tier on its last active day): what a tier filter selects on. Kept for the pages'
-- days (result_store.page_views), so a tier filter reads its accounts instead of working out every tier.
SELECT account_id, tier FROM account_tiers($as_of, $t1, $t2, $manual) ORDER BY account_id
