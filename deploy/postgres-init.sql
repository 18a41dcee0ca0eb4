-- One database per service: no service reads another's.
CREATE DATABASE requests;
CREATE DATABASE inventory;
CREATE DATABASE approvals;
