-- 医嘱处方条目：按药品目录（drug_catalogue.csv）筛选并转换为标准药品代码。
-- Prescription items, filtered and coded through the drug catalogue.
-- table: emr_order_item
-- key: id
-- watermark: updated_at
-- delete_flag: deleted
-- drugs: drug_code
-- codes: drug_dosage_unit_code=drug_dosage_unit
SELECT i.detail_id AS id,
       i.presc_no AS order_id,
       i.drug_code AS drug_code,
       i.drug_name AS drug_name,
       i.drug_spec AS drug_specifications,
       i.dosage AS drug_dosage_code,
       i.dosage_units AS drug_dosage_unit_code,
       i.amount AS drug_dosage_total,
       m.doctor AS operator_id,
       m.presc_date AS operation_time,
       '0' AS invalid_flag,
       m.del_flag AS deleted,
       k.org_code AS org_code,
       m.modify_time AS updated_at
FROM presc_detail i
JOIN presc_master m ON m.presc_no = i.presc_no
LEFT JOIN dept_dict k ON k.dept_code = m.dept
WHERE m.modify_time >= :since AND m.modify_time <= :until
ORDER BY m.modify_time, i.detail_id
