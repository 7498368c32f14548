from . import etsy_receipt_import_wizard
from . import etsy_publish_wizard
from . import etsy_listing_delete_wizard
