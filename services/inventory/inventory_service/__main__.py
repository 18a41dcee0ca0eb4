from inventory_service import service

service.main()
