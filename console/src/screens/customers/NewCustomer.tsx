import { Modal } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router";

import { useTexts } from "../../i18n";
import { CustomerForm } from "./CustomerForm";

/** "New customer" from the header's + menu or `c` `n`: saved, the customer's page opens. */
export function NewCustomer({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTexts();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={t.customer.newTitle}
      size="lg"
      closeButtonProps={{ "aria-label": t.common.close }}
    >
      {opened && (
        <CustomerForm
          onCancel={onClose}
          onSaved={(customer) => {
            void queryClient.invalidateQueries({ queryKey: ["customers"] });
            onClose();
            void navigate(`/customers/${customer.id}`);
          }}
        />
      )}
    </Modal>
  );
}
