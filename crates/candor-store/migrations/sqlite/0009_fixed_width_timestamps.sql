-- Timestamps in one fixed-width UTC text form, 2026-01-01T10:00:05.100000Z (27
-- characters, microseconds), so that comparing two of them as text compares them as
-- instants. Earlier rows were RFC 3339 with a fraction of varying length (and possibly
-- an offset), for which '10:00:05Z' > '10:00:05.1Z'. strftime turns any offset into
-- UTC, and the fraction is padded to six digits. New rows are written in this form by the
-- store's `Ts` type.

UPDATE company SET created_at = strftime('%Y-%m-%dT%H:%M:%S', created_at) || '.' || substr(CASE WHEN substr(created_at, 20, 1) = '.' THEN substr(created_at, 21, length(created_at) - 20 - CASE WHEN created_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE created_at IS NOT NULL
      AND NOT (length(created_at) = 27 AND substr(created_at, 20, 1) = '.' AND substr(created_at, 27, 1) = 'Z');
UPDATE company SET updated_at = strftime('%Y-%m-%dT%H:%M:%S', updated_at) || '.' || substr(CASE WHEN substr(updated_at, 20, 1) = '.' THEN substr(updated_at, 21, length(updated_at) - 20 - CASE WHEN updated_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE updated_at IS NOT NULL
      AND NOT (length(updated_at) = 27 AND substr(updated_at, 20, 1) = '.' AND substr(updated_at, 27, 1) = 'Z');
UPDATE contact SET created_at = strftime('%Y-%m-%dT%H:%M:%S', created_at) || '.' || substr(CASE WHEN substr(created_at, 20, 1) = '.' THEN substr(created_at, 21, length(created_at) - 20 - CASE WHEN created_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE created_at IS NOT NULL
      AND NOT (length(created_at) = 27 AND substr(created_at, 20, 1) = '.' AND substr(created_at, 27, 1) = 'Z');
UPDATE contact SET updated_at = strftime('%Y-%m-%dT%H:%M:%S', updated_at) || '.' || substr(CASE WHEN substr(updated_at, 20, 1) = '.' THEN substr(updated_at, 21, length(updated_at) - 20 - CASE WHEN updated_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE updated_at IS NOT NULL
      AND NOT (length(updated_at) = 27 AND substr(updated_at, 20, 1) = '.' AND substr(updated_at, 27, 1) = 'Z');
UPDATE contact SET newsletter_subscribed_at = strftime('%Y-%m-%dT%H:%M:%S', newsletter_subscribed_at) || '.' || substr(CASE WHEN substr(newsletter_subscribed_at, 20, 1) = '.' THEN substr(newsletter_subscribed_at, 21, length(newsletter_subscribed_at) - 20 - CASE WHEN newsletter_subscribed_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE newsletter_subscribed_at IS NOT NULL
      AND NOT (length(newsletter_subscribed_at) = 27 AND substr(newsletter_subscribed_at, 20, 1) = '.' AND substr(newsletter_subscribed_at, 27, 1) = 'Z');
UPDATE customer_order SET ordered_at = strftime('%Y-%m-%dT%H:%M:%S', ordered_at) || '.' || substr(CASE WHEN substr(ordered_at, 20, 1) = '.' THEN substr(ordered_at, 21, length(ordered_at) - 20 - CASE WHEN ordered_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE ordered_at IS NOT NULL
      AND NOT (length(ordered_at) = 27 AND substr(ordered_at, 20, 1) = '.' AND substr(ordered_at, 27, 1) = 'Z');
UPDATE activity SET at = strftime('%Y-%m-%dT%H:%M:%S', at) || '.' || substr(CASE WHEN substr(at, 20, 1) = '.' THEN substr(at, 21, length(at) - 20 - CASE WHEN at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE at IS NOT NULL
      AND NOT (length(at) = 27 AND substr(at, 20, 1) = '.' AND substr(at, 27, 1) = 'Z');
UPDATE api_token SET created_at = strftime('%Y-%m-%dT%H:%M:%S', created_at) || '.' || substr(CASE WHEN substr(created_at, 20, 1) = '.' THEN substr(created_at, 21, length(created_at) - 20 - CASE WHEN created_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE created_at IS NOT NULL
      AND NOT (length(created_at) = 27 AND substr(created_at, 20, 1) = '.' AND substr(created_at, 27, 1) = 'Z');
UPDATE api_token SET revoked_at = strftime('%Y-%m-%dT%H:%M:%S', revoked_at) || '.' || substr(CASE WHEN substr(revoked_at, 20, 1) = '.' THEN substr(revoked_at, 21, length(revoked_at) - 20 - CASE WHEN revoked_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE revoked_at IS NOT NULL
      AND NOT (length(revoked_at) = 27 AND substr(revoked_at, 20, 1) = '.' AND substr(revoked_at, 27, 1) = 'Z');
UPDATE custom_field SET created_at = strftime('%Y-%m-%dT%H:%M:%S', created_at) || '.' || substr(CASE WHEN substr(created_at, 20, 1) = '.' THEN substr(created_at, 21, length(created_at) - 20 - CASE WHEN created_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE created_at IS NOT NULL
      AND NOT (length(created_at) = 27 AND substr(created_at, 20, 1) = '.' AND substr(created_at, 27, 1) = 'Z');
UPDATE audit_entry SET at = strftime('%Y-%m-%dT%H:%M:%S', at) || '.' || substr(CASE WHEN substr(at, 20, 1) = '.' THEN substr(at, 21, length(at) - 20 - CASE WHEN at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE at IS NOT NULL
      AND NOT (length(at) = 27 AND substr(at, 20, 1) = '.' AND substr(at, 27, 1) = 'Z');
UPDATE consent_event SET at = strftime('%Y-%m-%dT%H:%M:%S', at) || '.' || substr(CASE WHEN substr(at, 20, 1) = '.' THEN substr(at, 21, length(at) - 20 - CASE WHEN at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE at IS NOT NULL
      AND NOT (length(at) = 27 AND substr(at, 20, 1) = '.' AND substr(at, 27, 1) = 'Z');
UPDATE consent_state SET since = strftime('%Y-%m-%dT%H:%M:%S', since) || '.' || substr(CASE WHEN substr(since, 20, 1) = '.' THEN substr(since, 21, length(since) - 20 - CASE WHEN since LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE since IS NOT NULL
      AND NOT (length(since) = 27 AND substr(since, 20, 1) = '.' AND substr(since, 27, 1) = 'Z');
UPDATE consent_state SET first_opt_in_at = strftime('%Y-%m-%dT%H:%M:%S', first_opt_in_at) || '.' || substr(CASE WHEN substr(first_opt_in_at, 20, 1) = '.' THEN substr(first_opt_in_at, 21, length(first_opt_in_at) - 20 - CASE WHEN first_opt_in_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE first_opt_in_at IS NOT NULL
      AND NOT (length(first_opt_in_at) = 27 AND substr(first_opt_in_at, 20, 1) = '.' AND substr(first_opt_in_at, 27, 1) = 'Z');
UPDATE outbox SET next_attempt = strftime('%Y-%m-%dT%H:%M:%S', next_attempt) || '.' || substr(CASE WHEN substr(next_attempt, 20, 1) = '.' THEN substr(next_attempt, 21, length(next_attempt) - 20 - CASE WHEN next_attempt LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE next_attempt IS NOT NULL
      AND NOT (length(next_attempt) = 27 AND substr(next_attempt, 20, 1) = '.' AND substr(next_attempt, 27, 1) = 'Z');
UPDATE outbox SET created_at = strftime('%Y-%m-%dT%H:%M:%S', created_at) || '.' || substr(CASE WHEN substr(created_at, 20, 1) = '.' THEN substr(created_at, 21, length(created_at) - 20 - CASE WHEN created_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE created_at IS NOT NULL
      AND NOT (length(created_at) = 27 AND substr(created_at, 20, 1) = '.' AND substr(created_at, 27, 1) = 'Z');
UPDATE outbox SET sent_at = strftime('%Y-%m-%dT%H:%M:%S', sent_at) || '.' || substr(CASE WHEN substr(sent_at, 20, 1) = '.' THEN substr(sent_at, 21, length(sent_at) - 20 - CASE WHEN sent_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE sent_at IS NOT NULL
      AND NOT (length(sent_at) = 27 AND substr(sent_at, 20, 1) = '.' AND substr(sent_at, 27, 1) = 'Z');
UPDATE consent_token SET created_at = strftime('%Y-%m-%dT%H:%M:%S', created_at) || '.' || substr(CASE WHEN substr(created_at, 20, 1) = '.' THEN substr(created_at, 21, length(created_at) - 20 - CASE WHEN created_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE created_at IS NOT NULL
      AND NOT (length(created_at) = 27 AND substr(created_at, 20, 1) = '.' AND substr(created_at, 27, 1) = 'Z');
UPDATE consent_token SET expires_at = strftime('%Y-%m-%dT%H:%M:%S', expires_at) || '.' || substr(CASE WHEN substr(expires_at, 20, 1) = '.' THEN substr(expires_at, 21, length(expires_at) - 20 - CASE WHEN expires_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE expires_at IS NOT NULL
      AND NOT (length(expires_at) = 27 AND substr(expires_at, 20, 1) = '.' AND substr(expires_at, 27, 1) = 'Z');
UPDATE consent_token SET used_at = strftime('%Y-%m-%dT%H:%M:%S', used_at) || '.' || substr(CASE WHEN substr(used_at, 20, 1) = '.' THEN substr(used_at, 21, length(used_at) - 20 - CASE WHEN used_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE used_at IS NOT NULL
      AND NOT (length(used_at) = 27 AND substr(used_at, 20, 1) = '.' AND substr(used_at, 27, 1) = 'Z');
UPDATE import_job SET started_at = strftime('%Y-%m-%dT%H:%M:%S', started_at) || '.' || substr(CASE WHEN substr(started_at, 20, 1) = '.' THEN substr(started_at, 21, length(started_at) - 20 - CASE WHEN started_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE started_at IS NOT NULL
      AND NOT (length(started_at) = 27 AND substr(started_at, 20, 1) = '.' AND substr(started_at, 27, 1) = 'Z');
UPDATE import_job SET updated_at = strftime('%Y-%m-%dT%H:%M:%S', updated_at) || '.' || substr(CASE WHEN substr(updated_at, 20, 1) = '.' THEN substr(updated_at, 21, length(updated_at) - 20 - CASE WHEN updated_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE updated_at IS NOT NULL
      AND NOT (length(updated_at) = 27 AND substr(updated_at, 20, 1) = '.' AND substr(updated_at, 27, 1) = 'Z');
UPDATE import_job SET finished_at = strftime('%Y-%m-%dT%H:%M:%S', finished_at) || '.' || substr(CASE WHEN substr(finished_at, 20, 1) = '.' THEN substr(finished_at, 21, length(finished_at) - 20 - CASE WHEN finished_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE finished_at IS NOT NULL
      AND NOT (length(finished_at) = 27 AND substr(finished_at, 20, 1) = '.' AND substr(finished_at, 27, 1) = 'Z');
UPDATE contract SET created_at = strftime('%Y-%m-%dT%H:%M:%S', created_at) || '.' || substr(CASE WHEN substr(created_at, 20, 1) = '.' THEN substr(created_at, 21, length(created_at) - 20 - CASE WHEN created_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE created_at IS NOT NULL
      AND NOT (length(created_at) = 27 AND substr(created_at, 20, 1) = '.' AND substr(created_at, 27, 1) = 'Z');
UPDATE contract SET updated_at = strftime('%Y-%m-%dT%H:%M:%S', updated_at) || '.' || substr(CASE WHEN substr(updated_at, 20, 1) = '.' THEN substr(updated_at, 21, length(updated_at) - 20 - CASE WHEN updated_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE updated_at IS NOT NULL
      AND NOT (length(updated_at) = 27 AND substr(updated_at, 20, 1) = '.' AND substr(updated_at, 27, 1) = 'Z');
UPDATE segment SET created_at = strftime('%Y-%m-%dT%H:%M:%S', created_at) || '.' || substr(CASE WHEN substr(created_at, 20, 1) = '.' THEN substr(created_at, 21, length(created_at) - 20 - CASE WHEN created_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE created_at IS NOT NULL
      AND NOT (length(created_at) = 27 AND substr(created_at, 20, 1) = '.' AND substr(created_at, 27, 1) = 'Z');
UPDATE campaign SET created_at = strftime('%Y-%m-%dT%H:%M:%S', created_at) || '.' || substr(CASE WHEN substr(created_at, 20, 1) = '.' THEN substr(created_at, 21, length(created_at) - 20 - CASE WHEN created_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE created_at IS NOT NULL
      AND NOT (length(created_at) = 27 AND substr(created_at, 20, 1) = '.' AND substr(created_at, 27, 1) = 'Z');
UPDATE campaign SET sent_at = strftime('%Y-%m-%dT%H:%M:%S', sent_at) || '.' || substr(CASE WHEN substr(sent_at, 20, 1) = '.' THEN substr(sent_at, 21, length(sent_at) - 20 - CASE WHEN sent_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE sent_at IS NOT NULL
      AND NOT (length(sent_at) = 27 AND substr(sent_at, 20, 1) = '.' AND substr(sent_at, 27, 1) = 'Z');
UPDATE campaign_recipient SET queued_at = strftime('%Y-%m-%dT%H:%M:%S', queued_at) || '.' || substr(CASE WHEN substr(queued_at, 20, 1) = '.' THEN substr(queued_at, 21, length(queued_at) - 20 - CASE WHEN queued_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE queued_at IS NOT NULL
      AND NOT (length(queued_at) = 27 AND substr(queued_at, 20, 1) = '.' AND substr(queued_at, 27, 1) = 'Z');
UPDATE staff_user SET created_at = strftime('%Y-%m-%dT%H:%M:%S', created_at) || '.' || substr(CASE WHEN substr(created_at, 20, 1) = '.' THEN substr(created_at, 21, length(created_at) - 20 - CASE WHEN created_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE created_at IS NOT NULL
      AND NOT (length(created_at) = 27 AND substr(created_at, 20, 1) = '.' AND substr(created_at, 27, 1) = 'Z');
UPDATE staff_user SET disabled_at = strftime('%Y-%m-%dT%H:%M:%S', disabled_at) || '.' || substr(CASE WHEN substr(disabled_at, 20, 1) = '.' THEN substr(disabled_at, 21, length(disabled_at) - 20 - CASE WHEN disabled_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE disabled_at IS NOT NULL
      AND NOT (length(disabled_at) = 27 AND substr(disabled_at, 20, 1) = '.' AND substr(disabled_at, 27, 1) = 'Z');
UPDATE staff_session SET expires_at = strftime('%Y-%m-%dT%H:%M:%S', expires_at) || '.' || substr(CASE WHEN substr(expires_at, 20, 1) = '.' THEN substr(expires_at, 21, length(expires_at) - 20 - CASE WHEN expires_at LIKE '%Z' THEN 1 ELSE 6 END) ELSE '' END || '000000', 1, 6) || 'Z'
    WHERE expires_at IS NOT NULL
      AND NOT (length(expires_at) = 27 AND substr(expires_at, 20, 1) = '.' AND substr(expires_at, 27, 1) = 'Z');
