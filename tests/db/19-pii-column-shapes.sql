-- Protected columns hold only the vault's shapes (20261126001010, checks made
-- inline by 20261127000400): a ciphertext is format byte 1 and at least
-- 34 bytes, a blind index exactly 32 bytes; null (no value) passes. Checked
-- for every protected column of both tables, as the table owner (a check
-- constraint binds every role).
begin;
select plan(29);
\ir _support/tenancy-fixtures.psql

create function tests.shape_refused(p_table text, p_id uuid, p_column text, p_value bytea) returns text
language sql as $$
  select throws_ok(format('update public.%I set %I = %L::bytea where id = %L', p_table, p_column, p_value, p_id),
    '23514', null, format('%s.%s refuses %s', p_table, p_column, encode(p_value, 'hex')))
$$;

create function tests.shape_taken(p_table text, p_id uuid, p_column text, p_value bytea) returns text
language sql as $$
  select lives_ok(format('update public.%I set %I = %L::bytea where id = %L', p_table, p_column, p_value, p_id),
    format('%s.%s takes %s bytes', p_table, p_column, coalesce(octet_length(p_value)::text, 'null')))
$$;

-- a ciphertext of the smallest valid shape, and three near misses
create function tests.ct(p_first int, p_len int) returns bytea
language sql as $$ select set_byte(decode(repeat('ab', p_len), 'hex'), 0, p_first) $$;

select tests.shape_refused('employees', '20000000-0000-0000-0000-0000000000a1', f || '_ciphertext', convert_to('A123456789Z', 'UTF8'))
  from unnest(array['kra_pin', 'national_id', 'phone', 'bank_account']) as f;
select tests.shape_refused('employees', '20000000-0000-0000-0000-0000000000a1', f || '_ciphertext', tests.ct(2, 40))
  from unnest(array['kra_pin', 'national_id', 'phone', 'bank_account']) as f;
select tests.shape_refused('employees', '20000000-0000-0000-0000-0000000000a1', 'kra_pin_ciphertext', tests.ct(1, 33));
select tests.shape_refused('employees', '20000000-0000-0000-0000-0000000000a1', f || '_blind_index', decode(repeat('cd', 31), 'hex'))
  from unnest(array['kra_pin', 'national_id', 'phone', 'bank_account']) as f;
-- value and blind index together, or neither
select lives_ok($$update public.employees set kra_pin_ciphertext = tests.ct(1, 34), kra_pin_blind_index = decode(repeat('cd', 32), 'hex')
  where id = '20000000-0000-0000-0000-0000000000a1'$$, 'employees take a 34-byte ciphertext with a 32-byte blind index');
select lives_ok($$update public.employees set kra_pin_ciphertext = null, kra_pin_blind_index = null
  where id = '20000000-0000-0000-0000-0000000000a1'$$, 'and null for both');

select tests.shape_refused('onboarding_cases', '40000000-0000-0000-0000-0000000000a1', f || '_ciphertext', convert_to('0712345678', 'UTF8'))
  from unnest(array['kra_pin', 'national_id', 'phone', 'bank_account']) as f;
select tests.shape_refused('onboarding_cases', '40000000-0000-0000-0000-0000000000a1', f || '_ciphertext', tests.ct(0, 60))
  from unnest(array['kra_pin', 'national_id', 'phone', 'bank_account']) as f;
select tests.shape_refused('onboarding_cases', '40000000-0000-0000-0000-0000000000a1', 'phone_ciphertext', tests.ct(1, 33));
select tests.shape_taken('onboarding_cases', '40000000-0000-0000-0000-0000000000a1', f || '_ciphertext', tests.ct(1, 34))
  from unnest(array['kra_pin', 'national_id', 'phone', 'bank_account']) as f;
select tests.shape_taken('onboarding_cases', '40000000-0000-0000-0000-0000000000a1', 'phone_ciphertext', null);

select * from finish();
rollback;
