-- Tenancy and RBAC tables: who belongs to which tenant with which role, and
-- what each role may do. Roles and permissions are data (reference rows below).
-- Policies come in 20261126000400 once the helpers exist; until then RLS is on
-- with no policy, so nothing is reachable through the API.
--
-- Tables:    public.tenants, public.roles, public.permissions,
--            public.role_permissions, public.platform_staff,
--            public.memberships, public.profiles
-- Triggers:  <table>_touch_updated_at on each table
-- Functions: none
-- Policies:  none (see 20261126000400_tenancy_policies.sql)

-- tables
create table public.tenants (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(btrim(name)) between 1 and 200),
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
comment on table public.tenants is 'An employer using Kazi. Soft-deleted via deleted_at.';

-- A role belongs to one scope: tenant roles live in memberships, platform roles
-- in platform_staff. rank orders tenant roles (higher may manage lower).
create table public.roles (
  name text primary key check (name ~ '^[a-z][a-z_]{1,40}$'),
  scope text not null check (scope in ('tenant', 'platform')),
  rank integer check ((scope = 'tenant') = (rank is not null)),
  description text not null default '',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (name, scope)
);
comment on table public.roles is 'Role catalogue. Tenant roles are ranked: owner > admin > hr_manager > employee.';

create table public.permissions (
  name text primary key check (name ~ '^[a-z_]+(\.[a-z_]+)+$'),
  description text not null default '',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.role_permissions (
  role text not null references public.roles (name) on update cascade on delete cascade,
  permission text not null references public.permissions (name) on update cascade on delete cascade,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (role, permission)
);
create index role_permissions_permission_idx on public.role_permissions (permission);

-- Platform staff are outside every tenant: their role can never be a tenant
-- membership role (composite key on (role, role_scope) with a fixed scope).
create table public.platform_staff (
  user_id uuid primary key references auth.users (id) on delete cascade,
  role text not null,
  role_scope text not null default 'platform' check (role_scope = 'platform'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (role, role_scope) references public.roles (name, scope)
);
create index platform_staff_role_idx on public.platform_staff (role, role_scope);

create table public.memberships (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null,
  role_scope text not null default 'tenant' check (role_scope = 'tenant'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, user_id),
  foreign key (role, role_scope) references public.roles (name, scope)
);
create index memberships_user_id_idx on public.memberships (user_id, tenant_id, role);
create index memberships_role_idx on public.memberships (role, role_scope);
create index memberships_tenant_role_idx on public.memberships (tenant_id, role);

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  display_name text not null default '' check (length(display_name) <= 200),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.profiles is 'One row per auth user, created by the on_auth_user_created_create_profile trigger.';

-- reference data (roles and permissions are data, not code)
insert into public.roles (name, scope, rank, description) values
  ('owner', 'tenant', 40, 'Owns the tenant; the last owner cannot leave or be demoted'),
  ('admin', 'tenant', 30, 'Administers members, settings and support access'),
  ('hr_manager', 'tenant', 20, 'Manages employees and onboarding'),
  ('employee', 'tenant', 10, 'Sees their own records'),
  ('platform_admin', 'platform', null, 'Kazi staff: creates tenants, manages staff'),
  ('platform_support', 'platform', null, 'Kazi staff: sees a tenant only under an approved, unexpired access grant');

insert into public.permissions (name, description) values
  ('tenant.read', 'Read the tenant record'),
  ('tenant.update', 'Change tenant settings'),
  ('members.read', 'List the tenant''s members'),
  ('members.manage', 'Add, change and remove members (never above one''s own role)'),
  ('employees.read', 'Read every employee of the tenant'),
  ('employees.write', 'Create and change employees'),
  ('employees.delete', 'Hard-delete employees'),
  ('pii.reveal', 'Reveal protected fields through the reveal function'),
  ('invitations.manage', 'Invite people (never above one''s own role)'),
  ('onboarding.read', 'Read every onboarding case of the tenant'),
  ('onboarding.write', 'Create and edit onboarding cases'),
  ('onboarding.review', 'Approve or reject submitted onboarding cases'),
  ('support.use', 'Open and follow the tenant''s support tickets'),
  ('support_access.approve', 'Approve, deny and revoke platform support access'),
  ('audit.read', 'Read the tenant''s audit trail'),
  ('platform.tenants.manage', 'Create and change tenants'),
  ('platform.staff.manage', 'Manage platform staff'),
  ('platform.members.bootstrap', 'Add the first members of a tenant'),
  ('platform.support_access.request', 'Request support access to a tenant');

insert into public.role_permissions (role, permission)
select r.role, p.permission
from (values
  ('owner', array['tenant.read', 'tenant.update', 'members.read', 'members.manage', 'employees.read',
                  'employees.write', 'employees.delete', 'pii.reveal', 'invitations.manage',
                  'onboarding.read', 'onboarding.write', 'onboarding.review', 'support.use',
                  'support_access.approve', 'audit.read']),
  ('admin', array['tenant.read', 'tenant.update', 'members.read', 'members.manage', 'employees.read',
                  'employees.write', 'employees.delete', 'pii.reveal', 'invitations.manage',
                  'onboarding.read', 'onboarding.write', 'onboarding.review', 'support.use',
                  'support_access.approve', 'audit.read']),
  ('hr_manager', array['tenant.read', 'members.read', 'employees.read', 'employees.write', 'pii.reveal',
                       'invitations.manage', 'onboarding.read', 'onboarding.write',
                       'onboarding.review', 'support.use']),
  ('employee', array['tenant.read']),
  ('platform_admin', array['platform.tenants.manage', 'platform.staff.manage', 'platform.members.bootstrap']),
  ('platform_support', array['platform.support_access.request'])
) as r (role, perms)
cross join lateral unnest(r.perms) as p (permission);

-- triggers
create trigger tenants_touch_updated_at before update on public.tenants
  for each row execute function private.touch_updated_at();
create trigger roles_touch_updated_at before update on public.roles
  for each row execute function private.touch_updated_at();
create trigger permissions_touch_updated_at before update on public.permissions
  for each row execute function private.touch_updated_at();
create trigger role_permissions_touch_updated_at before update on public.role_permissions
  for each row execute function private.touch_updated_at();
create trigger platform_staff_touch_updated_at before update on public.platform_staff
  for each row execute function private.touch_updated_at();
create trigger memberships_touch_updated_at before update on public.memberships
  for each row execute function private.touch_updated_at();
create trigger profiles_touch_updated_at before update on public.profiles
  for each row execute function private.touch_updated_at();

-- grants: RLS decides rows; TRUNCATE/REFERENCES/TRIGGER are never granted to
-- API roles (TRUNCATE bypasses RLS). anon gets nothing.
revoke all on public.tenants, public.roles, public.permissions, public.role_permissions,
  public.platform_staff, public.memberships, public.profiles from anon, authenticated;
grant select, insert, update, delete on public.tenants, public.roles, public.permissions,
  public.role_permissions, public.platform_staff, public.memberships, public.profiles to authenticated;
grant all on public.tenants, public.roles, public.permissions, public.role_permissions,
  public.platform_staff, public.memberships, public.profiles to service_role;

alter table public.tenants enable row level security;
alter table public.roles enable row level security;
alter table public.permissions enable row level security;
alter table public.role_permissions enable row level security;
alter table public.platform_staff enable row level security;
alter table public.memberships enable row level security;
alter table public.profiles enable row level security;
