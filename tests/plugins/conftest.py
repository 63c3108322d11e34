from plugins.fakesite import installed_site, site

__all__ = ["installed_site", "site"]
