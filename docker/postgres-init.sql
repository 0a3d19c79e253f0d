-- Run once by the postgres image on an empty volume: the practice's own database
-- (call-backs, bookings) beside the conversations' database `rasa`.
CREATE DATABASE practice OWNER rasa;
