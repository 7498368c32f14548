from . import test_etsy_shop
from . import test_security
from . import test_sync_log
from . import test_cron
from . import test_neutralize
from . import test_views
from . import test_redact
from . import test_orders
