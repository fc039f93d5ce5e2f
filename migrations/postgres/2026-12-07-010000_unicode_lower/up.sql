-- PostgreSQL's lower() follows the database's locale already: nothing to do (the SQLite
-- migration of this name builds its indexes again with the console's Unicode lower()).
SELECT 1;
