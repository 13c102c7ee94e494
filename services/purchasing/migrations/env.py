from millbook_platform.migrations import run_migrations
from millbook_purchasing.models import Base

run_migrations(Base.metadata)
