from inventory_service.models import Base
from procurement_common.migrations import run_env

run_env(Base.metadata)
