// Stands in for 'server-only' outside Next.js (vitest), where the react-server condition is not set.
export {};
