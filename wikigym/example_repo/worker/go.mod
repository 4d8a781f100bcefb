module example.com/inventory/worker

go 1.22
