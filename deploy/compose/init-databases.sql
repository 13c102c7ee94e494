-- One login role and one database per service, as the local stack runner creates them.
-- The roles take the cluster password from the compose environment at first start.
\set pw `echo "$POSTGRES_PASSWORD"`
CREATE ROLE identity LOGIN PASSWORD :'pw';
CREATE ROLE sales LOGIN PASSWORD :'pw';
CREATE ROLE billing LOGIN PASSWORD :'pw';
CREATE ROLE purchasing LOGIN PASSWORD :'pw';
CREATE ROLE inbox LOGIN PASSWORD :'pw';
CREATE ROLE analytics LOGIN PASSWORD :'pw';
CREATE DATABASE identity OWNER identity;
CREATE DATABASE sales OWNER sales;
CREATE DATABASE billing OWNER billing;
CREATE DATABASE purchasing OWNER purchasing;
CREATE DATABASE inbox OWNER inbox;
CREATE DATABASE analytics OWNER analytics;
