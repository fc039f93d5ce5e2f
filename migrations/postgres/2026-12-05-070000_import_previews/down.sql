DROP TABLE import_previews;
