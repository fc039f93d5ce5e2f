-- Nothing to undo: the indexes are rebuilt with whichever `lower()` the connection has.
REINDEX;
