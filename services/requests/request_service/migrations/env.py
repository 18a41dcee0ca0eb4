from procurement_common.migrations import run_env
from request_service.models import Base

run_env(Base.metadata)
