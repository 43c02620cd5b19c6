"""Transport to Storyblok's Management API: the hook, its connection settings, retries and throttle."""
