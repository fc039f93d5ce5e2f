-- PostgreSQL's identity columns never give an id twice: nothing to do (the SQLite migration
-- of this name makes its tables again with AUTOINCREMENT).
SELECT 1;
