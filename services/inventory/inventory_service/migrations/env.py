from procurement_common.migrations import run_env

from inventory_service.models import Base

run_env(Base.metadata)
