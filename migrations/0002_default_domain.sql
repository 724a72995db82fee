-- Keystone's "default" domain always exists: users and projects created without a domain live in it.
INSERT OR IGNORE INTO `domains` (`id`, `name`, `description`, `enabled`) VALUES ('default', 'Default', 'The default domain', 1);
