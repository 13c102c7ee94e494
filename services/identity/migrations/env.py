from millbook_identity.models import Base
from millbook_platform.migrations import run_migrations

run_migrations(Base.metadata)
