DROP TABLE slack_messages;
DROP TABLE slack_people;
DROP TABLE slack_connections;
