// Placeholder CLI entry (created by the tooling skeleton; the real CLI replaces this file).
console.log('imgmeta');
