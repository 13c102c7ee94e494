from millbook_platform.migrations import run_migrations
from millbook_sales.models import Base

run_migrations(Base.metadata)
