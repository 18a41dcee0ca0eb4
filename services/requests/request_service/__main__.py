from request_service import service

service.main()
