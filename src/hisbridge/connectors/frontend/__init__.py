"""The national front-end software: data-API client and intermediate-database sink."""
