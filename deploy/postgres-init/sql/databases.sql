-- Run once by 01-databases.sh on an empty data volume (psql variables carry the passwords).

-- createrole: `projledger db roles` (run by airflow-init and after every nightly build) makes
-- the read-only BI role and one role per street, and grants them the marts schema only.
create role projledger login createrole password :'projledger_pw';
create role airflow login password :'airflow_pw';
create role metabase login password :'metabase_pw';

create database projledger owner projledger encoding 'UTF8' template template0;
create database airflow owner airflow encoding 'UTF8' template template0;
create database metabase owner metabase encoding 'UTF8' template template0;

alter database projledger set timezone to 'Asia/Shanghai';
