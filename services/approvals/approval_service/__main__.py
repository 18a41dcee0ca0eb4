from approval_service import service

service.main()
